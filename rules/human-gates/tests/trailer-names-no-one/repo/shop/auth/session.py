from django.contrib.auth import login


def start_session(request, user):
    """Log the customer in."""
    login(request, user)
