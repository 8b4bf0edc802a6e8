"""How strongly a person signed in (authentication levels), second factors and step-up."""
