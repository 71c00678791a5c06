"""Appointments (services layer): bookings of provider slots."""
