"""Reporting: table writers (CSV canonical + Markdown + LaTeX), figures, the papers' numbers, the results index."""
