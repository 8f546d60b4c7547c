// Log Analytics workspace and the workspace-based Application Insights resource. Local
// (instrumentation-key) ingestion is off: the app publishes telemetry with its identity.
//
// The alerts of docs/telemetry.md, all to one action group that e-mails alertEmail:
//   - a message in any Service Bus dead-letter queue (metric alert, split by queue),
//   - mail dead-lettered (the app's helpdesk.mail.dead_lettered counter),
//   - the SLA scan not run for 5 minutes (the host's ScanSlaBreaches requests),
//   - the 5xx rate of the requests above serverErrorRatePercent,
//   - a Graph subscription about to expire (the app's helpdesk.graph.subscription.seconds_to_expiry gauge).
// The log search rules query Application Insights with their own user-assigned identity
// (Monitoring Reader on it), so no key and no rule creator's rights are involved.
param namePrefix string
param location string
param tags object
param identityPrincipalId string

@description('The e-mail address the action group sends alerts to.')
param alertEmail string

@description('The user-assigned identity the log search alert rules query with.')
param alertsIdentityId string
param alertsIdentityPrincipalId string

@description('The Service Bus namespace whose dead-letter queues are watched.')
param serviceBusNamespaceId string

param serverErrorRatePercent int
param serverErrorMinimumRequests int

// The telemetry contract of docs/telemetry.md: the names the app emits and the host logs.
var mailDeadLetteredMetric = 'helpdesk.mail.dead_lettered'
var graphSubscriptionExpiryMetric = 'helpdesk.graph.subscription.seconds_to_expiry'
var slaScanFunction = 'ScanSlaBreaches'
var graphSubscriptionMinimumSeconds = 3600

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: {
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// Monitoring Metrics Publisher: lets the identity send telemetry with Entra ID authentication.
resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identityPrincipalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Reader on Application Insights: what the log search alert rules query with.
resource alertsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, alertsIdentityPrincipalId, '43d0d8ad-25c7-4714-9337-8ba259a9fe05')
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '43d0d8ad-25c7-4714-9337-8ba259a9fe05')
    principalId: alertsIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource onCall 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'helpdesk'
    enabled: true
    emailReceivers: [
      {
        name: 'on-call'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// (a) Any message in any dead-letter queue of the namespace, one alert per queue.
resource deadLetteredMessages 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${namePrefix}-servicebus-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'A message is in a Service Bus dead-letter queue: inspect and re-drive it (GET /api/admin/dead-letters).'
    severity: 2
    enabled: true
    scopes: [ serviceBusNamespaceId ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadletteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [ { name: 'EntityName', operator: 'Include', values: [ '*' ] } ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [ { actionGroupId: onCall.id } ]
  }
}

// The log search rules (b) to (e): each runs its query over Application Insights every
// evaluationFrequency on the last windowSize, with the alerts identity.
var logAlerts = [
  {
    name: 'mail-dead-letters'
    description: 'Mail was dead-lettered (inbound that could not become a ticket, or outbound that could not be sent): inspect it (GET /api/admin/dead-letters).'
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    query: 'customMetrics | where name == "${mailDeadLetteredMetric}" | project timestamp, deadLettered = valueSum'
    timeAggregation: 'Total'
    metricMeasureColumn: 'deadLettered'
    dimensions: []
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'sla-scan-not-run'
    description: 'The SLA breach scan (the ${slaScanFunction} timer) has not run for 5 minutes: SLA breaches are not being detected.'
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    query: 'requests | where name == "${slaScanFunction}"'
    timeAggregation: 'Count'
    metricMeasureColumn: null
    dimensions: []
    operator: 'LessThan'
    threshold: 1
  }
  {
    name: 'server-error-rate'
    description: 'More than ${serverErrorRatePercent}% of the requests of the last 5 minutes failed with a 5xx status (at least ${serverErrorMinimumRequests} requests).'
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    query: 'requests | summarize total = count(), failed = countif(toint(resultCode) between (500 .. 599)) | where total >= ${serverErrorMinimumRequests} | project serverErrorPercent = 100.0 * failed / total'
    timeAggregation: 'Maximum'
    metricMeasureColumn: 'serverErrorPercent'
    dimensions: []
    operator: 'GreaterThan'
    threshold: serverErrorRatePercent
  }
  {
    name: 'graph-subscription-expiring'
    description: 'A Graph mail subscription expires within the hour and has not been renewed (RenewMailSubscriptions): new mail reaches the helpdesk only by delta polling.'
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    query: 'customMetrics | where name == "${graphSubscriptionExpiryMetric}" | project timestamp, mailbox = tostring(customDimensions.mailbox), secondsToExpiry = valueMin'
    timeAggregation: 'Minimum'
    metricMeasureColumn: 'secondsToExpiry'
    dimensions: [ { name: 'mailbox', operator: 'Include', values: [ '*' ] } ]
    operator: 'LessThan'
    threshold: graphSubscriptionMinimumSeconds
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for alert in logAlerts: {
  name: '${namePrefix}-${alert.name}'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${alertsIdentityId}': {} }
  }
  properties: {
    displayName: '${namePrefix}: ${alert.name}'
    description: alert.description
    severity: alert.severity
    enabled: true
    scopes: [ insights.id ]
    evaluationFrequency: alert.evaluationFrequency
    windowSize: alert.windowSize
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: alert.query
          timeAggregation: alert.timeAggregation
          metricMeasureColumn: alert.metricMeasureColumn
          dimensions: alert.dimensions
          operator: alert.operator
          threshold: alert.threshold
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: [ onCall.id ] }
  }
  dependsOn: [ alertsReader ]
}]

output connectionString string = insights.properties.ConnectionString
output actionGroupId string = onCall.id
