"""Which implementation answers which JSON-RPC method. Together with the methods the device
answers from the session (device.SESSION_METHODS) these are exactly the methods of the
reference (the contract tests check both ways)."""

from __future__ import annotations

from . import clients, crud, depot, hosts

METHODS = {
    **crud.family("host"),
    **crud.family("group"),
    **crud.family("objectToGroup"),
    **crud.family("product"),
    **crud.family("productDependency"),
    **crud.family("productProperty"),
    **crud.family("productOnDepot"),
    **crud.family("productOnClient"),
    **crud.family("productPropertyState"),
    "config_getObjects": crud.family("config")["config_getObjects"],
    "configState_getObjects": crud.family("configState")["configState_getObjects"],
    "host_createOpsiClient": crud.creator("host", "OpsiClient"),
    "host_createOpsiDepotserver": crud.creator("host", "OpsiDepotserver"),
    "host_createOpsiConfigserver": crud.creator("host", "OpsiConfigserver"),
    "group_createHostGroup": crud.creator("group", "HostGroup"),
    "objectToGroup_create": crud.creator("objectToGroup"),
    "productDependency_create": crud.creator("productDependency"),
    "productProperty_create": crud.create_product_property,
    "productProperty_createBool": crud.creator("productProperty", "BoolProductProperty"),
    "productProperty_createUnicode": crud.creator("productProperty", "UnicodeProductProperty"),
    "productOnDepot_create": crud.creator("productOnDepot"),
    "productOnClient_create": crud.creator("productOnClient"),
    "productPropertyState_create": crud.creator("productPropertyState"),
    "host_renameOpsiClient": hosts.rename_client,
    "host_renameOpsiDepotserver": hosts.rename_depot,
    "host_getMessagebusConnectedIds": hosts.messagebus_connected_ids,
    "host_getTLSCertificate": hosts.tls_certificate,
    "backend_info": hosts.backend_info,
    "configState_getClientToDepotserver": clients.client_to_depot,
    "productOnClient_addDependencies": clients.add_dependencies,
    "productOnClient_generateSequence": clients.generate_sequence,
    "productOnClient_getObjectsWithSequence": clients.get_with_sequence,
    "productOnClient_updateObjectsWithDependencies": clients.update_with_dependencies,
    "productOnClient_getActionGroups": clients.action_groups,
    "setProductActionRequest": clients.set_action_request,
    "setProductActionRequestWithDependencies": clients.set_action_request_with_dependencies,
    "productPropertyState_getValues": clients.property_values,
    "getProductOrdering": clients.product_ordering,
    "depot_installPackage": depot.install,
    "depot_uninstallPackage": depot.uninstall,
    "depot_getMD5Sum": depot.md5,
    "depot_createPackageContentFile": depot.content_file,
}
