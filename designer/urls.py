"""Top-level routes: each app owns its URLs under /api/; the editor (an SPA) gets the rest."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("designer.graphs.urls")),
    path("api/", include("designer.datasets.urls")),
    path("api/", include("designer.runs.urls")),
    path("api/", include("designer.dashboards.urls")),
    path("api/", include("designer.tuning.urls")),
    path("api/", include("designer.fleet.urls")),
    # core last: it holds auth endpoints and the SPA catch-all.
    path("", include("designer.core.urls")),
]

handler500 = "designer.core.views.server_error"
