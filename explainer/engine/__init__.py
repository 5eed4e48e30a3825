"""The engine: the maths of backpropagation in NumPy, every intermediate recorded.

No plotting, no widgets, no course content here (import-linter keeps it so).
"""
