"""The password hasher: PBKDF2-HMAC-SHA256 at OWASP's 600 000 iterations.

Django 6.1's default is 1 500 000 iterations: on the two-core servers a Pemda runs (and the demo)
that is 0,5–2,6 s of CPU per login, most of a login's time, and a cheap way to tie up a worker
with wrong passwords. OWASP's Password Storage Cheat Sheet (2023) asks for 600 000 iterations of
PBKDF2-HMAC-SHA256; django-axes locks an account after five wrong passwords, so online guessing
is bounded anyway. Hashes stored with more iterations still verify and are rewritten at this
cost on the user's next login (Django's ``must_update``).
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class Pbkdf2Owasp(PBKDF2PasswordHasher):
    iterations = 600_000
