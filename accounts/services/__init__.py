"""Every write of the accounts app: one function per use case, each owning its transaction.

Every object a user owns is fetched through that user (`Address.objects.filter(user=user, …)`),
so somebody else's id is a `NotFoundError`, never a leak.

One module per concern; callers import from here (`from accounts import services`):

- `registration`: a shopper signs up (and the new-user steps every sign-up shares);
- `sellers`: applying to sell, a seller's status, the decision e-mail;
- `administrators`: who is staff;
- `profile`: names, the public profile, preferences;
- `addresses`: the address book and its one primary address;
- `sessions`: passwords, browser and API sign-ins, guests;
- `tokens`: the API's access/refresh tokens.
"""

from .addresses import ADDRESS_EDITABLE_FIELDS, address_create, address_delete, address_make_primary, address_update
from .administrators import (
    ADMINISTRATOR_EDITABLE_FIELDS,
    administrator_create,
    administrator_remove,
    administrator_update,
)
from .profile import (
    PREFERENCES_EDITABLE_FIELDS,
    PROFILE_EDITABLE_FIELDS,
    USER_EDITABLE_FIELDS,
    preferences_update,
    profile_update,
)
from .registration import (
    SIGN_UP_ALREADY_REGISTERED,
    SIGN_UP_WELCOME,
    customer_register,
    customer_sign_up,
)
from .sellers import SELLER_DECISION_EMAILS, seller_apply, seller_decision_email_send, seller_set_status
from .sessions import (
    guest_touch,
    user_password_change,
    user_session_close_by_key,
    user_session_end,
    user_session_rekey,
    user_session_start_api,
    user_session_start_web,
    user_session_touch,
)
from .tokens import TokenPair, user_api_sign_in, user_api_sign_out, user_api_token_refresh

__all__ = [
    "ADDRESS_EDITABLE_FIELDS",
    "ADMINISTRATOR_EDITABLE_FIELDS",
    "PREFERENCES_EDITABLE_FIELDS",
    "PROFILE_EDITABLE_FIELDS",
    "SELLER_DECISION_EMAILS",
    "SIGN_UP_ALREADY_REGISTERED",
    "SIGN_UP_WELCOME",
    "USER_EDITABLE_FIELDS",
    "TokenPair",
    "address_create",
    "address_delete",
    "address_make_primary",
    "address_update",
    "administrator_create",
    "administrator_remove",
    "administrator_update",
    "customer_register",
    "customer_sign_up",
    "guest_touch",
    "preferences_update",
    "profile_update",
    "seller_apply",
    "seller_decision_email_send",
    "seller_set_status",
    "user_api_sign_in",
    "user_api_sign_out",
    "user_api_token_refresh",
    "user_password_change",
    "user_session_close_by_key",
    "user_session_end",
    "user_session_rekey",
    "user_session_start_api",
    "user_session_start_web",
    "user_session_touch",
]
