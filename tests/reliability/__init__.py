"""Reliability suite (issue 10): crashes, restarts, fuzzing, security, supply chain."""
