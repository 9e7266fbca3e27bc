"""Log replay: read the FIX logs real engines write, rebuild and verify a book from them, drive tests with them."""
