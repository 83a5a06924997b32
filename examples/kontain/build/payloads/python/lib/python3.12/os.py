"""Sample stand-in for the standard library (kontain sample payload)."""
name = "posix"
