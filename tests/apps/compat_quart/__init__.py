"""A Quart app as Quart's docs write one."""
