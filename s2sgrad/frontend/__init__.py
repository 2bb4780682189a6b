"""The frontend: a user function's source (gast) -> IR.

source.py captures the source and resolves names, guards.py records what was read
from outside; lowering.py is the entry point (`lower_function`) and the
FunctionLowering class, whose concerns are mixins in statements.py, assignment.py,
loops.py, expressions.py, comprehensions.py, calls.py, methods.py, objects.py
(methods of objects passed in, attribute assignments), inlining.py and templates.py
(gradient-rule templates).  They draw on spellings.py (what operators,
methods and attributes mean), static.py (transform-time evaluation), analysis.py
(questions asked of gast statements), rewrites.py (gast rewrites made on the way),
context.py (per-transformation state) and marks.py (decorated helpers).
"""
