from shop.orders.models import Order


def purge_cancelled_orders(before):
    """Delete the orders cancelled before `before`, with their lines."""
    Order.objects.filter(status="cancelled", cancelled_at__lt=before).delete()
