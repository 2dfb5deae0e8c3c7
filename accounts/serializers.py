"""API input and output shapes for people, organizations and API tokens."""

from rest_framework import serializers

from accounts.models import Organization, Role


class TokenObtainInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="One-time code from the authenticator app, when two-factor sign-in is on.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text='Send it as "Authorization: Token <token>" with every request.'
    )


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "country"]
        read_only_fields = fields


class OrganizationRolesSerializer(serializers.Serializer):
    organization = OrganizationSerializer()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))


class CurrentUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class MyOrganizationsSerializer(serializers.Serializer):
    user = CurrentUserSerializer()
    memberships = OrganizationRolesSerializer(many=True)
