"""A step's status, the words every result and export shares.

Its own module so that the JUnit writer (snaplab/junit.py) reads them without importing the
results model, which writes JUnit through it.
"""

PASS, FAIL, PENDING = "pass", "fail", "pending"
