"""The course: scenarios and presets, data sets, questions and exercises, built on the engine.

It may import the engine, never the views or the widgets.
"""
