"""claimcheck: find where language versions of one story disagree."""

__version__ = "0.1.0"
