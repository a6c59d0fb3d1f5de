"""Run reports: results.json (the envelope), index.html (the compliance matrix)."""
