"""Parsing policy source into an AST that keeps source spans."""
