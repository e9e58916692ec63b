"""Reliability and security suite: real Odoo processes against the sandbox."""
