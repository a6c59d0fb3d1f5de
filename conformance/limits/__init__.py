"""The documented connection limit (65,536) at full scale: what this machine allows."""
