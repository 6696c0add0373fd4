"""CCHC warehouse ingestion: yearly reports and agency exports into the raw schema."""

__version__ = "0.1.0"
