"""URLs of the Channels chat server."""
from django.contrib.auth.views import LoginView
from django.urls import re_path

from chatserver import views

urlpatterns = [
    re_path(r"^$", views.chat_page, name="chat"),
    re_path(r"^accounts/login/$", LoginView.as_view(), name="login"),
    re_path(r"^accounts/logout/$", views.logout, name="logout"),
    re_path(r"^publish/$", views.publish, name="publish"),
]
