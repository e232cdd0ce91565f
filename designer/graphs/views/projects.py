"""Projects and their members. Owners manage both; members read."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from rest_framework import generics, status
from rest_framework.response import Response

from designer.core.errors import InputProblem, error
from designer.core.permissions import RoleByMethod, get_project, projects_visible_to
from designer.graphs import services
from designer.graphs.models import Membership, Role
from designer.graphs.serializers import MemberRoleSerializer, MemberSerializer, ProjectSerializer


class ProjectList(generics.ListCreateAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return projects_visible_to(self.request.user).select_related("owner")

    def perform_create(self, serializer):
        project = serializer.save(owner=self.request.user)
        project.role = Role.OWNER.value


class ProjectDetail(RoleByMethod, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ProjectSerializer
    roles = {**RoleByMethod.roles, "PATCH": Role.OWNER, "PUT": Role.OWNER}

    def get_object(self):
        return get_project(self.request.user, self.kwargs["pk"], self.needed_role())

    def perform_destroy(self, instance):
        services.delete_project(instance)


class MemberList(RoleByMethod, generics.ListCreateAPIView):
    serializer_class = MemberSerializer
    roles = {**RoleByMethod.roles, "POST": Role.OWNER}

    def get_queryset(self):
        self.project = get_project(self.request.user, self.kwargs["pk"], self.needed_role())
        return self.project.memberships.select_related("user")

    def create(self, request, *args, **kwargs):
        self.get_queryset()
        body = MemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["user"]["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise InputProblem([error(f"no user named {username!r}", field="username")])
        if user.pk == self.project.owner_id:
            raise InputProblem([error(f"{username!r} owns this project already", field="username")])
        try:
            with transaction.atomic():
                member = Membership.objects.create(
                    project=self.project, user=user, role=body.validated_data["role"]
                )
        except IntegrityError:
            raise InputProblem(
                [error(f"{username!r} is a member already; change their role instead", field="username")]
            ) from None
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetail(RoleByMethod, generics.GenericAPIView):
    serializer_class = MemberRoleSerializer
    roles = {**RoleByMethod.roles, "PATCH": Role.OWNER}

    def membership(self, role: str) -> Membership:
        project = get_project(self.request.user, self.kwargs["pk"], role)
        return get_object_or_404(
            Membership.objects.select_related("user"), project=project, user_id=self.kwargs["user_id"]
        )

    def patch(self, request, pk, user_id):
        member = self.membership(Role.OWNER)
        body = MemberRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member.role = body.validated_data["role"]
        member.save(update_fields=["role"])
        return Response(MemberSerializer(member).data)

    def delete(self, request, pk, user_id):
        # Members may leave a project themselves; removing others is the owner's call.
        leaving = user_id == request.user.pk
        self.membership(Role.VIEWER if leaving else Role.OWNER).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
