"""B2B meeting scheduling: pure code (no web, database or services), measured on its own.

``instance`` holds the problem, ``dzn`` reads the MiniZinc instances of Bofill et al. (JAIR
2022), ``validate`` re-checks a schedule independently of any solver. The solver, the greedy
baseline and re-scheduling follow (issue 13; decision 0008).
"""
