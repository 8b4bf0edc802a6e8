"""The citizen's encrypted personal data vault: envelope encryption, the module catalogue, versioned
records with provenance, the vault API (a resource server), export and erasure."""
