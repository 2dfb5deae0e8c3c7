from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """People join an organization by invitation; there is no public sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False
