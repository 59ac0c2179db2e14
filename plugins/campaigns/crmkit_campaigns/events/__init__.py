"""Events: sessions, capacity, public registration with double opt-in, waiting list, reminders, QR check-in, attendance and follow-up leads."""
