"""Practice: sessions, answers, grades, history and review scheduling."""
