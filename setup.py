# Everything is in pyproject.toml. This shim exists for scrapyd-deploy, which builds the
# project egg with `python setup.py bdist_egg` and would otherwise write its own setup.py
# into the checkout.
from setuptools import setup

setup()
