from django.urls import path

from designer.graphs.views import catalogue, graphs, projects, weights

urlpatterns = [
    path("projects", projects.ProjectList.as_view(), name="projects"),
    path("projects/<int:pk>", projects.ProjectDetail.as_view(), name="project"),
    path("projects/<int:pk>/members", projects.MemberList.as_view(), name="members"),
    path("projects/<int:pk>/members/<int:user_id>", projects.MemberDetail.as_view(), name="member"),
    path("projects/<int:pk>/graphs", graphs.ProjectGraphList.as_view(), name="project-graphs"),
    path("projects/<int:pk>/graphs/import", graphs.GraphImport.as_view(), name="graph-import"),
    path("projects/<int:pk>/blocks", graphs.ProjectBlocks.as_view(), name="project-blocks"),
    path("projects/<int:pk>/weights", weights.ProjectWeights.as_view(), name="project-weights"),
    path("graphs/validate", catalogue.Validate.as_view(), name="graph-validate"),
    path("graphs/<int:pk>", graphs.GraphDetail.as_view(), name="graph"),
    path("graphs/<int:pk>/versions", graphs.VersionList.as_view(), name="versions"),
    path("graphs/<int:pk>/versions/<int:number>", graphs.VersionDetail.as_view(), name="version"),
    path("graphs/<int:pk>/versions/<int:number>/restore", graphs.VersionRestore.as_view(),
         name="version-restore"),
    path("graphs/<int:pk>/versions/<int:number>/export", graphs.VersionExport.as_view(),
         name="version-export"),
    path("graphs/<int:pk>/diff", graphs.GraphDiff.as_view(), name="graph-diff"),
    path("layers", catalogue.Layers.as_view(), name="layers"),
    path("templates", catalogue.Templates.as_view(), name="templates"),
    path("templates/<slug:name>", catalogue.TemplateDetail.as_view(), name="template"),
]
