# -*- coding: utf-8 -*-
"""URLs of the ws4redis chat server; url() before Django 2.0, re_path() after."""
import django

from chatserver import views

if django.VERSION >= (2, 0):
    from django.urls import re_path as url
else:
    from django.conf.urls import url

if django.VERSION >= (1, 11):
    from django.contrib.auth.views import LoginView

    login_view = LoginView.as_view()
else:
    from django.contrib.auth.views import login as login_view

urlpatterns = [
    url(r"^$", views.chat_page, name="chat"),
    url(r"^accounts/login/$", login_view, name="login"),
    url(r"^accounts/logout/$", views.logout, name="logout"),
    url(r"^userchat/$", views.user_chat, name="user_chat"),
    url(r"^groupchat/$", views.group_chat, name="group_chat"),
]
