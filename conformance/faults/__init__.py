"""Faults a scenario can inject between driver steps: server actions
(stop, start, restart, pause, resume) and a loopback fault proxy."""
