"""An article's text: full-page extraction, the sanitizer that makes it valid XHTML, its language."""
