from django import template

register = template.Library()


@register.simple_tag
def account_digest(user):
    from dailypapers.digests.views import account_subscription

    return account_subscription(user)
