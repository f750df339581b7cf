from shop.orders.models import Order


def open_orders(customer):
    return Order.objects.filter(customer=customer, status="open")
