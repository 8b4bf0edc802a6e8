"""Citizen accounts: registration, contact verification, passwords and sign-in sessions."""
