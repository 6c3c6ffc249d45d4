"""A real browser (Debian's chromium, driven through its chromedriver by Selenium) on the chat page."""
