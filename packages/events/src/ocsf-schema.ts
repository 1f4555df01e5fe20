/**
 * The part of the OCSF schema Cairn validates: the six event classes it supports and the types
 * of the objects they carry. Extracted from the OCSF schema repository (github.com/ocsf/ocsf-schema,
 * `events/`, `objects/`, `profiles/`, `dictionary.json`, schema 1.9.0-dev at commit a5cfc68e):
 * each class's attributes are those of `base_event`, its category (iam, system, application,
 * finding), the profiles those include, and the class itself; each object's are its own and those
 * of the objects it extends. Enum lists are the dictionary's with the class's overrides merged in.
 *
 * Field types: `s` string, `i` integer (safe, |n| ≤ 2^53−1), `t` timestamp (integer milliseconds),
 * `b` boolean, `f` number, `ip` IP address string, `port` integer 0..65535, `j` any JSON value,
 * `o` a JSON object whose inside is not checked here, `@name` an object of {@link OBJECT_SHAPES};
 * a `[]` suffix makes it an array of that, a `!` suffix makes it required.
 *
 * Enum values cover OCSF 1.x up to 1.9 (Authentication 7 Account Switch and Account Change 12
 * Unlock are newer than 1.0): an event of an older 1.x version validates the same way.
 */

/** A field type code (see the module comment). */
export type FieldType = string;

/** A supported event class: its attributes and the enums of its `_id` attributes. */
export interface ClassShape {
  readonly name: string;
  readonly attributes: Readonly<Record<string, FieldType>>;
  readonly enums: Readonly<Record<string, readonly number[]>>;
}

export const OBJECT_SHAPES = {
  metadata: {
    correlation_uid: 's', debug: 's[]', event_code: 's', extension: 'o', extensions: 'o[]',
    is_truncated: 'b', labels: 's[]', log_format: 's', log_level: 's', log_name: 's',
    log_provider: 's', log_source: 's', log_version: 's', logged_time: 't', loggers: 'o[]',
    modified_time: 't', original_event_uid: 's', original_time: 's', processed_time: 't',
    product: '@product!', profiles: 's[]', reporter: 'o', sequence: 'i', source: 's', tags: 'o[]',
    tenant_uid: 's', total_queued_duration: 'o', transformation_info_list: 'o[]', transmit_time: 't',
    type: 's', uid: 's', untruncated_size: 'i', version: 's!',
  },
  product: {
    cpe_name: 's', feature: 'o', lang: 's', name: 's', path: 's', uid: 's', uid_numeric: 'i',
    url_string: 's', vendor_name: 's', version: 's',
  },
  user: {
    account: '@account', credential_uid: 's', display_name: 's', domain: 's', email_addr: 's',
    forward_addr: 's', full_name: 's', groups: '@group[]', has_mfa: 'b', ldap_person: '@ldap_person',
    name: 's', org: '@organization', phone_number: 's', programmatic_credentials: 'o[]',
    risk_level: 's', risk_level_id: 'i', risk_score: 'i', type: 's', type_id: 'i', uid: 's',
    uid_alt: 's', uid_numeric: 'i',
  },
  actor: {
    app_name: 's', app_uid: 's', authorizations: '@authorization[]', iam_role: 'o', idp: '@idp',
    invoked_by: 's', process: '@process', session: '@session', user: '@user',
  },
  network_endpoint: {
    agent_list: 'o[]', autonomous_system: 'o', domain: 's', fingerprints: 'o[]', hostname: 's',
    hw_info: 'o', instance_uid: 's', interface_name: 's', interface_uid: 's',
    intermediate_ips: 'ip[]', ip: 'ip', isp: 's', isp_org: 's', location: '@location', mac: 's',
    mac_vendor: 's', name: 's', network_scope: 's', network_scope_id: 'i', os: '@os', owner: '@user',
    pool: '@group', port: 'port', proxy_endpoint: 'o', subnet_uid: 's', svc_name: 's', type: 's',
    type_id: 'i', uid: 's', uid_numeric: 'i', vlan_uid: 's', vpc_uid: 's', zone: 's',
  },
  api: {
    group: '@group', operation: 's!', request: '@request', response: '@response',
    service: '@service', token: 'o', version: 's',
  },
  service: {
    labels: 's[]', name: 's', tags: 'o[]', uid: 's', uid_numeric: 'i', version: 's',
  },
  request: {
    containers: 'o[]', data: 'j', flags: 's[]', uid: 's!',
  },
  response: {
    code: 'i', containers: 'o[]', data: 'j', error: 's', error_message: 's', flags: 's[]',
    message: 's',
  },
  resource_details: {
    agent_list: 'o[]', cloud_partition: 's', created_time: 't', criticality: 's', data: 'j',
    group: '@group', hostname: 's', ip: 'ip', is_backed_up: 'b', labels: 's[]', modified_time: 't',
    name: 's', namespace: 's', owner: '@user', provider: 's', region: 's',
    resource_relationship: 'o', role: 's', role_id: 'i', tags: 'o[]', type: 's', uid: 's',
    uid_alt: 's', uid_numeric: 'i', version: 's', zone: 's',
  },
  process: {
    ai_agent: 'o', ancestry: 'o[]', cmd_line: 's', cpid: 's', created_time: 't',
    environment_variables: 'o[]', file: '@file', hosted_ai_agent_list: 'o[]', integrity: 's',
    integrity_id: 'i', lineage: 's[]', loaded_modules: 's[]', name: 's', parent_process: '@process',
    path: 's', pid: 'i', ptid: 'i', sandbox: 's', session: '@session', terminated_time: 't',
    tid: 'i', uid: 's', uid_numeric: 'i', user: '@user', working_directory: 's', xattributes: 'o',
  },
  device: {
    agent_list: 'o[]', autoscale_uid: 's', boot_time: 't', boot_uid: 's', created_time: 't',
    desc: 's', domain: 's', eid: 's', first_seen_time: 't', groups: '@group[]', hostname: 's',
    hw_info: 'o', hypervisor: 's', iccid: 's', image: 'o', imei: 's', imei_list: 's[]',
    instance_uid: 's', interface_name: 's', interface_uid: 's', ip: 'ip', is_backed_up: 'b',
    is_compliant: 'b', is_managed: 'b', is_mobile_account_active: 'b', is_personal: 'b',
    is_shared: 'b', is_supervised: 'b', is_trusted: 'b', last_seen_time: 't', location: '@location',
    mac: 's', mac_vendor: 's', meid: 's', model: 's', modified_time: 't', name: 's',
    network_interfaces: 'o[]', org: '@organization', os: '@os', os_machine_uuid: 's', owner: '@user',
    peripheral_devices: 'o[]', pool: '@group', region: 's', risk_level: 's', risk_level_id: 'i',
    risk_score: 'i', subnet: 's', subnet_uid: 's', type: 's', type_id: 'i!', udid: 's', uid: 's',
    uid_alt: 's', uid_numeric: 'i', vendor_name: 's', vlan_uid: 's', vpc_uid: 's', zone: 's',
  },
  session: {
    count: 'i', created_time: 't', credential_uid: 's', expiration_reason: 's', expiration_time: 't',
    is_mfa: 'b', is_remote: 'b', is_vpn: 'b', issuer: 's', terminal: 's', uid: 's', uid_alt: 's',
    uuid: 's',
  },
  finding_info: {
    analytic: '@analytic', attack_graph: 'o', attacks: 'o[]', created_time: 't', data_sources: 's[]',
    desc: 's', first_seen_time: 't', kill_chain: 'o[]', last_seen_time: 't', modified_time: 't',
    product: '@product', product_uid: 's', related_analytics: '@analytic[]', related_events: 'o[]',
    related_events_count: 'i', src_url: 's', tags: 'o[]', title: 's', traits: 'o[]', types: 's[]',
    uid: 's!', uid_alt: 's',
  },
  analytic: {
    algorithm: 's', category: 's', desc: 's', name: 's', related_analytics: '@analytic[]',
    state: 's', state_id: 'i', type: 's', type_id: 'i!', uid: 's', uid_numeric: 'i', version: 's',
  },
  os: {
    build: 's', country: 's', cpe_name: 's', cpu_bits: 'i', edition: 's', kernel_release: 's',
    lang: 's', name: 's!', sp_name: 's', sp_ver: 'i', type: 's', type_id: 'i!', version: 's',
  },
  evidences: {
    actor: '@actor', ai_agent: 'o', api: '@api', connection_info: 'o', container: 'o', data: 'j',
    database: 'o', databucket: 'o', device: '@device', dst_endpoint: '@network_endpoint', email: 'o',
    file: '@file', http_request: '@http_request', http_response: 'o', ja4_fingerprint_list: 'o[]',
    job: 'o', name: 's', process: '@process', query: 'o', resources: '@resource_details[]',
    script: 'o', src_endpoint: '@network_endpoint', tls: 'o', uid: 's', uid_numeric: 'i',
    url: '@url', user: '@user', verdict: 's', verdict_id: 'i',
  },
  http_request: {
    args: 's', body_length: 'i', http_headers: 'o[]', http_method: 's', length: 'i', referrer: 's',
    uid: 's', url: '@url', user_agent: 's', version: 's', x_forwarded_for: 'ip[]',
  },
  file: {
    accessed_time: 't', accessor: '@user', attributes: 'i', company_name: 's', confidentiality: 's',
    confidentiality_id: 'i', created_time: 't', creator: '@user', desc: 's', download_info: 'o',
    drive_type: 's', drive_type_id: 'i', encryption_details: 'o', ext: 's', hashes: 'o[]',
    imported_symbols: 's[]', internal_name: 's', is_deleted: 'b', is_encrypted: 'b', is_public: 'b',
    is_readonly: 'b', is_system: 'b', mime_type: 's', modified_time: 't', modifier: '@user',
    name: 's!', owner: '@user', parent_folder: 's', path: 's', product: '@product',
    security_descriptor: 's', signature: 'o', signatures: 'o[]', size: 'i', storage_class: 's',
    tags: 'o[]', type: 's', type_id: 'i!', uid: 's', uid_numeric: 'i', uri: 's', url: '@url',
    version: 's', volume: 's', xattributes: 'o',
  },
  account: {
    is_disabled: 'b', is_locked: 'b', is_on_premises_sync_enabled: 'b', labels: 's[]', name: 's',
    tags: 'o[]', type: 's', type_id: 'i', uid: 's', uid_numeric: 'i',
  },
  group: {
    desc: 's', domain: 's', name: 's', privileges: 's[]', type: 's', uid: 's', uid_alt: 's',
    uid_numeric: 'i',
  },
  idp: {
    auth_factors: 'o[]', domain: 's', fingerprint: 'o', has_mfa: 'b', issuer: 's', name: 's',
    protocol_name: 's', scim: 'o', sso: 'o', state: 's', state_id: 'i', tenant_uid: 's', uid: 's',
    uid_numeric: 'i', url_string: 's',
  },
  organization: {
    name: 's', ou_name: 's', ou_uid: 's', uid: 's', uid_numeric: 'i',
  },
  url: {
    categories: 's[]', category_ids: 'i[]', domain: 's', hostname: 's', path: 's', port: 'port',
    query_string: 's', resource_type: 's', scheme: 's', subdomain: 's', url_string: 's',
  },
  location: {
    aerial_height: 's', city: 's', continent: 's', coordinates: 'f[]', country: 's', desc: 's',
    geodetic_altitude: 's', geodetic_vertical_accuracy: 's', geohash: 's', horizontal_accuracy: 's',
    is_on_premises: 'b', isp: 's', lat: 'f', long: 'f', postal_code: 's', pressure_altitude: 's',
    provider: 's', region: 's',
  },
  authorization: {
    decision: 's', policy: 'o',
  },
  ldap_person: {
    cost_center: 's', created_time: 't', deleted_time: 't', department: 's', display_name: 's',
    email_addrs: 's[]', employee_uid: 's', given_name: 's', hire_time: 't', job_title: 's',
    labels: 's[]', last_login_time: 't', ldap_cn: 's', ldap_dn: 's', leave_time: 't',
    location: '@location', manager: '@user', modified_time: 't', office_location: 's',
    phone_number: 's', surname: 's', tags: 'o[]',
  },
} as const satisfies Record<string, Record<string, FieldType>>;

export const CLASS_SHAPES = {
  3002: {
    name: 'Authentication',
    attributes: {
      account_switch_type: 's', account_switch_type_id: 'i', action: 's', action_id: 'i',
      activity_id: 'i!', activity_name: 's', actor: '@actor', ai_agent: 'o', ai_model: 'o',
      api: '@api', attacks: 'o[]', attestation_list: 'o[]', auth_factors: 'o[]', auth_protocol: 's',
      auth_protocol_id: 'i', authentication_token: 'o', authorizations: '@authorization[]',
      category_name: 's', category_uid: 'i!', certificate: 'o', class_name: 's', class_uid: 'i!',
      cloud: 'o', confidence: 's', confidence_id: 'i', confidence_score: 'i', count: 'i',
      device: '@device', disposition: 's', disposition_id: 'i', dst_endpoint: '@network_endpoint',
      duration: 'i', end_time: 't', enrichments: 'o[]', firewall_rule: 'o',
      http_request: '@http_request', http_response: 'o', is_alert: 'b', is_cleartext: 'b',
      is_mfa: 'b', is_new_logon: 'b', is_remote: 'b', logon_process: '@process', logon_type: 's',
      logon_type_id: 'i', malware: 'o[]', malware_scan_info: 'o', message: 's', message_context: 'o',
      metadata: '@metadata!', observables: 'o[]', osint: 'o[]', policy: 'o', raw_data: 's',
      raw_data_hash: 'o', raw_data_size: 'i', risk_details: 's', risk_level: 's', risk_level_id: 'i',
      risk_score: 'i', service: '@service', session: '@session', severity: 's', severity_id: 'i!',
      src_endpoint: '@network_endpoint', start_time: 't', status: 's', status_code: 's',
      status_detail: 's', status_id: 'i', time: 't!', timezone_offset: 'i', type_name: 's',
      type_uid: 'i!', unmapped: 'o', user: '@user!',
    },
    enums: {
      account_switch_type_id: [0, 1, 2, 99],
      action_id: [0, 1, 2, 3, 4, 99],
      activity_id: [0, 1, 2, 3, 4, 5, 6, 7, 99],
      auth_protocol_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99],
      confidence_id: [0, 1, 2, 3, 99],
      disposition_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 99],
      logon_type_id: [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 99],
      risk_level_id: [0, 1, 2, 3, 4, 99],
      severity_id: [0, 1, 2, 3, 4, 5, 6, 99],
      status_id: [0, 1, 2, 99],
    },
  },
  3001: {
    name: 'Account Change',
    attributes: {
      action: 's', action_id: 'i', activity_id: 'i!', activity_name: 's', actor: '@actor',
      ai_agent: 'o', ai_model: 'o', api: '@api', attacks: 'o[]', attestation_list: 'o[]',
      auth_factors: 'o[]', authorizations: '@authorization[]', category_name: 's',
      category_uid: 'i!', class_name: 's', class_uid: 'i!', cloud: 'o', confidence: 's',
      confidence_id: 'i', confidence_score: 'i', count: 'i', device: '@device', disposition: 's',
      disposition_id: 'i', duration: 'i', end_time: 't', enrichments: 'o[]', firewall_rule: 'o',
      http_request: '@http_request', http_response: 'o', is_alert: 'b', malware: 'o[]',
      malware_scan_info: 'o', message: 's', message_context: 'o', metadata: '@metadata!',
      observables: 'o[]', osint: 'o[]', policies: 'o[]', policy: 'o', raw_data: 's',
      raw_data_hash: 'o', raw_data_size: 'i', risk_details: 's', risk_level: 's', risk_level_id: 'i',
      risk_score: 'i', severity: 's', severity_id: 'i!', src_endpoint: '@network_endpoint',
      start_time: 't', status: 's', status_code: 's', status_detail: 's', status_id: 'i', time: 't!',
      timezone_offset: 'i', type_name: 's', type_uid: 'i!', unmapped: 'o', user: '@user!',
      user_result: '@user',
    },
    enums: {
      action_id: [0, 1, 2, 3, 4, 99],
      activity_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99],
      confidence_id: [0, 1, 2, 3, 99],
      disposition_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 99],
      risk_level_id: [0, 1, 2, 3, 4, 99],
      severity_id: [0, 1, 2, 3, 4, 5, 6, 99],
      status_id: [0, 1, 2, 99],
    },
  },
  6003: {
    name: 'API Activity',
    attributes: {
      action: 's', action_id: 'i', activity_id: 'i!', activity_name: 's', actor: '@actor!',
      ai_agent: 'o', ai_model: 'o', api: '@api!', attacks: 'o[]', attestation_list: 'o[]',
      authorizations: '@authorization[]', category_name: 's', category_uid: 'i!', class_name: 's',
      class_uid: 'i!', cloud: 'o', confidence: 's', confidence_id: 'i', confidence_score: 'i',
      count: 'i', device: '@device', disposition: 's', disposition_id: 'i',
      dst_endpoint: '@network_endpoint', duration: 'i', end_time: 't', enrichments: 'o[]',
      firewall_rule: 'o', http_request: '@http_request', http_response: 'o', is_alert: 'b',
      malware: 'o[]', malware_scan_info: 'o', message: 's', message_context: 'o',
      metadata: '@metadata!', observables: 'o[]', osint: 'o[]', policy: 'o', raw_data: 's',
      raw_data_hash: 'o', raw_data_size: 'i', resources: '@resource_details[]', risk_details: 's',
      risk_level: 's', risk_level_id: 'i', risk_score: 'i', severity: 's', severity_id: 'i!',
      src_endpoint: '@network_endpoint!', start_time: 't', status: 's', status_code: 's',
      status_detail: 's', status_id: 'i', time: 't!', timezone_offset: 'i', trace: 'o',
      type_name: 's', type_uid: 'i!', unmapped: 'o',
    },
    enums: {
      action_id: [0, 1, 2, 3, 4, 99],
      activity_id: [0, 1, 2, 3, 4, 99],
      confidence_id: [0, 1, 2, 3, 99],
      disposition_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 99],
      risk_level_id: [0, 1, 2, 3, 4, 99],
      severity_id: [0, 1, 2, 3, 4, 5, 6, 99],
      status_id: [0, 1, 2, 99],
    },
  },
  1007: {
    name: 'Process Activity',
    attributes: {
      action: 's', action_id: 'i', activity_id: 'i!', activity_name: 's', actor: '@actor!',
      actual_permissions: 'i', ai_agent: 'o', ai_model: 'o', api: '@api', attacks: 'o[]',
      attestation_list: 'o[]', authorizations: '@authorization[]', category_name: 's',
      category_uid: 'i!', class_name: 's', class_uid: 'i!', cloud: 'o', confidence: 's',
      confidence_id: 'i', confidence_score: 'i', count: 'i', device: '@device!', disposition: 's',
      disposition_id: 'i', duration: 'i', end_time: 't', enrichments: 'o[]', exit_code: 'i',
      firewall_rule: 'o', injection_type: 's', injection_type_id: 'i', is_alert: 'b',
      launch_type: 's', launch_type_id: 'i', malware: 'o[]', malware_scan_info: 'o', message: 's',
      message_context: 'o', metadata: '@metadata!', module: 'o', observables: 'o[]', osint: 'o[]',
      policy: 'o', process: '@process!', raw_data: 's', raw_data_hash: 'o', raw_data_size: 'i',
      requested_permissions: 'i', risk_details: 's', risk_level: 's', risk_level_id: 'i',
      risk_score: 'i', severity: 's', severity_id: 'i!', start_time: 't', status: 's',
      status_code: 's', status_detail: 's', status_id: 'i', time: 't!', timezone_offset: 'i',
      type_name: 's', type_uid: 'i!', unmapped: 'o',
    },
    enums: {
      action_id: [0, 1, 2, 3, 4, 99],
      activity_id: [0, 1, 2, 3, 4, 5, 99],
      confidence_id: [0, 1, 2, 3, 99],
      disposition_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 99],
      injection_type_id: [0, 1, 2, 3, 99],
      launch_type_id: [0, 1, 2, 3, 99],
      risk_level_id: [0, 1, 2, 3, 4, 99],
      severity_id: [0, 1, 2, 3, 4, 5, 6, 99],
      status_id: [0, 1, 2, 99],
    },
  },
  1008: {
    name: 'Event Log Activity',
    attributes: {
      action: 's', action_id: 'i', activity_id: 'i!', activity_name: 's', actor: '@actor',
      ai_agent: 'o', ai_model: 'o', api: '@api', attacks: 'o[]', attestation_list: 'o[]',
      authorizations: '@authorization[]', category_name: 's', category_uid: 'i!', class_name: 's',
      class_uid: 'i!', cloud: 'o', confidence: 's', confidence_id: 'i', confidence_score: 'i',
      count: 'i', device: '@device', disposition: 's', disposition_id: 'i',
      dst_endpoint: '@network_endpoint', duration: 'i', end_time: 't', enrichments: 'o[]',
      file: '@file', firewall_rule: 'o', is_alert: 'b', log_name: 's', log_provider: 's',
      log_type: 's', log_type_id: 'i', malware: 'o[]', malware_scan_info: 'o', message: 's',
      message_context: 'o', metadata: '@metadata!', observables: 'o[]', osint: 'o[]', policy: 'o',
      raw_data: 's', raw_data_hash: 'o', raw_data_size: 'i', risk_details: 's', risk_level: 's',
      risk_level_id: 'i', risk_score: 'i', severity: 's', severity_id: 'i!',
      src_endpoint: '@network_endpoint', start_time: 't', status: 's', status_code: 's',
      status_detail: 's', status_id: 'i', time: 't!', timezone_offset: 'i', type_name: 's',
      type_uid: 'i!', unmapped: 'o',
    },
    enums: {
      action_id: [0, 1, 2, 3, 4, 99],
      activity_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99],
      confidence_id: [0, 1, 2, 3, 99],
      disposition_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 99],
      log_type_id: [0, 1, 2, 99],
      risk_level_id: [0, 1, 2, 3, 4, 99],
      severity_id: [0, 1, 2, 3, 4, 5, 6, 99],
      status_id: [0, 1, 2, 99],
    },
  },
  2004: {
    name: 'Detection Finding',
    attributes: {
      action: 's', action_id: 'i', activity_id: 'i!', activity_name: 's', actor: '@actor',
      anomaly_analyses: 'o[]', api: '@api', assignee: '@user', assignee_group: '@group',
      attacks: 'o[]', attestation_list: 'o[]', authorizations: '@authorization[]',
      category_name: 's', category_uid: 'i!', class_name: 's', class_uid: 'i!', cloud: 'o',
      comment: 's', confidence: 's', confidence_id: 'i', confidence_score: 'i', count: 'i',
      device: '@device', disposition: 's', disposition_id: 'i', duration: 'i', end_time: 't',
      enrichments: 'o[]', evidences: '@evidences[]', finding_info: '@finding_info!',
      firewall_rule: 'o', impact: 's', impact_id: 'i', impact_score: 'i', is_alert: 'b',
      is_suspected_breach: 'b', malware: 'o[]', malware_scan_info: 'o', message: 's',
      metadata: '@metadata!', notes: 'o[]', observables: 'o[]', osint: 'o[]', policy: 'o',
      priority: 's', priority_id: 'i', raw_data: 's', raw_data_hash: 'o', raw_data_size: 'i',
      remediation: 'o', resources: '@resource_details[]', risk_details: 's', risk_level: 's',
      risk_level_id: 'i', risk_score: 'i', severity: 's', severity_id: 'i!', src_url: 's',
      start_time: 't', status: 's', status_code: 's', status_detail: 's', status_id: 'i',
      ticket: 'o', tickets: 'o[]', time: 't!', timezone_offset: 'i', type_name: 's', type_uid: 'i!',
      unmapped: 'o', vendor_attributes: 'o', verdict: 's', verdict_id: 'i', vulnerabilities: 'o[]',
    },
    enums: {
      action_id: [0, 1, 2, 3, 4, 99],
      activity_id: [0, 1, 2, 3, 99],
      confidence_id: [0, 1, 2, 3, 99],
      disposition_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 99],
      impact_id: [0, 1, 2, 3, 4, 99],
      priority_id: [0, 1, 2, 3, 4, 99],
      risk_level_id: [0, 1, 2, 3, 4, 99],
      severity_id: [0, 1, 2, 3, 4, 5, 6, 99],
      status_id: [0, 1, 2, 3, 4, 5, 6, 99],
      verdict_id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99],
    },
  },
} as const satisfies Record<number, ClassShape>;
