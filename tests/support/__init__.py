"""What the tests share that is not a fixture: real servers (site, SMTP, arXiv replays), factories, the
search corpus, and where the real parts from ../shared lie. Fixtures live in the conftest.py files."""
