"""Seeing computation graphs: DOT, SVG, text (see the viz issue)."""
