"""What every request goes through: trusted hosts, CSRF, headers, body and rate limits."""
