"""Jaring: the regional social-security safety net for pekerja rentan."""
