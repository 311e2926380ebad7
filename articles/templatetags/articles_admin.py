from django import template

from articles.dashboard import editors_dashboard

register = template.Library()


@register.inclusion_tag("admin/includes/editors_dashboard.html", takes_context=True)
def editors_dashboard_panel(context):
    """The dashboard on the admin index, for staff who may see articles."""
    request = context["request"]
    if not request.user.has_perm("articles.view_article"):
        return {"show": False}
    return {"show": True, **editors_dashboard(user=request.user)}
