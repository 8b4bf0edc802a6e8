"""Service linking: proving a service-specific fact the first time a citizen uses a council service."""
