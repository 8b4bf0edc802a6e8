"""The start page, the privacy notice, accessibility statement and cookies page, and operational endpoints
(health)."""
