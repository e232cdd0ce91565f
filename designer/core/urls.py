from django.urls import path, re_path

from designer.core import views

urlpatterns = [
    path("api/auth/me", views.MeView.as_view(), name="auth-me"),
    path("api/auth/login", views.LoginView.as_view(), name="auth-login"),
    path("api/auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("api/auth/token", views.TokenView.as_view(), name="auth-token"),
    path("api/health", views.HealthView.as_view(), name="health"),
    re_path(r"^api(?:/(?P<path>.*))?$", views.api_not_found),
    # Everything else belongs to the editor's client-side router.
    re_path(r"^(?!static/|admin/)(?P<path>.*)$", views.editor_index, name="editor"),
]
