// The helpdesk in Azure: a custom-handler Function App on Flex Consumption, Cosmos DB,
// Service Bus, Azure SignalR Service (the chat's pushes), a Static Web App serving the web console, Application Insights with the alerts of docs/telemetry.md, optional Key Vault, the
// app's user-assigned managed identity and its role assignments. No keys or connection strings:
// every service has local auth disabled and the app signs in with the identity.
//
//   az deployment group create -g <resource-group> -f infra-bicep/main.bicep -p infra-bicep/main.parameters.json
targetScope = 'resourceGroup'

@description('Short environment name (e.g. helpdesk-prod); prefixes every resource name.')
@minLength(3)
@maxLength(16)
param environmentName string

param location string = resourceGroup().location

@description('Entra ID tenant of the API, Graph and the Power Automate connector.')
param tenantId string = subscription().tenantId

@description('The API app registration (its app id URI or client id): the audience of incoming tokens.')
param apiAudience string

@description('The support mailbox: the Graph user id or user principal name.')
param supportMailboxId string

@description('The SMTP address customers write to.')
param supportMailboxAddress string

@description('How the app reaches Graph: managedIdentity (Graph app roles granted to the identity) or clientSecret (an app registration).')
@allowed([ 'managedIdentity', 'clientSecret' ])
param graphAuthentication string = 'managedIdentity'

@description('The Graph app registration client id (clientSecret authentication only).')
param graphClientId string = ''

@description('The Graph app registration secret (clientSecret authentication only); stored in Key Vault.')
@secure()
param graphClientSecret string = ''

@description('HMAC key of the approve and reject links in approval emails: base64 of at least 32 random bytes (openssl rand -base64 32), shared by every instance.')
@secure()
param approvalSigningKey string

@description('Cosmos DB serverless (default) or provisioned autoscale throughput.')
param cosmosServerless bool = true

@description('Autoscale maximum RU/s of the database when not serverless.')
param cosmosAutoscaleMaxThroughput int = 4000

param cosmosDatabaseName string = 'helpdesk'

@description('Always-ready instances of the HTTP group (Graph webhooks must never meet a cold start).')
@minValue(1)
param alwaysReadyHttpInstances int = 1

param maximumInstanceCount int = 40

@allowed([ 2048, 4096 ])
param instanceMemoryMB int = 2048

@description('Deliveries of a queue message before it is dead-lettered.')
param maxDeliveryCount int = 10

@description('Where the alerts go: the e-mail address of the on-call engineer or team (the action group\'s one receiver).')
@minLength(3)
param alertEmail string

@description('Alert when more than this percentage of the requests of 5 minutes failed with a 5xx status.')
@minValue(1)
@maxValue(100)
param serverErrorRatePercent int = 5

@description('The 5xx rate alert needs at least this many requests in its 5 minutes (a single failed request of three is no outage).')
@minValue(1)
param serverErrorMinimumRequests int = 20

@description('Origins of the web and mobile front ends allowed to call the API from a browser (https://helpdesk.contoso.com); empty = none. The app answers CORS itself (Http__AllowedOrigins); the Function App\'s platform CORS stays empty.')
param allowedOrigins array = []

@description('Deploy the web console as an Azure Static Web App (its origin is then allowed as well).')
param deployConsole bool = true

@description('Region of the console\'s Static Web App: the service runs in a few regions only.')
@allowed([ 'westeurope', 'westus2', 'centralus', 'eastus2', 'eastasia' ])
param consoleLocation string = 'westeurope'

@description('Free, or Standard for custom domains and an SLA.')
@allowed([ 'Free', 'Standard' ])
param consoleSku string = 'Free'

@description('The Function App\'s signalr_extension system key, for the SignalR Service\'s upstream to the RealtimeTyping function (typing on Azure, docs/adr/0011-chat-push.md). The host makes the key once the code with a signalRTrigger runs, so the first deployment leaves it empty (no upstream) and a second one passes it: az functionapp keys list -g <rg> -n <app> --query systemKeys.signalr_extension -o tsv.')
@secure()
param signalrExtensionKey string = ''

var tags = { application: 'helpdesk', environment: environmentName }
var suffix = uniqueString(resourceGroup().id, environmentName)
var functionAppName = '${environmentName}-func-${suffix}'
var useKeyVault = graphAuthentication == 'clientSecret'
// The browsers' origins the API and the SignalR Service answer: the parameter's, and the console's.
var browserOrigins = union(allowedOrigins, deployConsole ? [ console!.outputs.origin ] : [])

// The queues of docs/adr/0003-outbox-relay-and-queues.md (QueueNames in the app).
var queueNames = [
  'notifications'
  'approvals'
  'webhooks'
  'surveys'
  'calendar'
  'chat'
  'private-mail'
]

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${environmentName}-id'
    location: location
    tags: tags
  }
}

// The identity the log search alert rules query Application Insights with (Monitoring Reader on
// it, nothing else): not the app's, which may publish telemetry but has no business reading it.
module alertsIdentity 'modules/identity.bicep' = {
  name: 'alertsIdentity'
  params: {
    name: '${environmentName}-alerts-id'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: environmentName
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    alertEmail: alertEmail
    alertsIdentityId: alertsIdentity.outputs.id
    alertsIdentityPrincipalId: alertsIdentity.outputs.principalId
    serviceBusNamespaceId: serviceBus.outputs.id
    serverErrorRatePercent: serverErrorRatePercent
    serverErrorMinimumRequests: serverErrorMinimumRequests
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: take('st${replace(environmentName, '-', '')}${suffix}', 24)
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: '${environmentName}-cosmos-${suffix}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    databaseName: cosmosDatabaseName
    serverless: cosmosServerless
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'serviceBus'
  params: {
    name: '${environmentName}-sb-${suffix}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    queueNames: queueNames
    maxDeliveryCount: maxDeliveryCount
  }
}

module console 'modules/staticwebapp.bicep' = if (deployConsole) {
  name: 'console'
  params: {
    name: '${environmentName}-console-${suffix}'
    location: consoleLocation
    tags: tags
    sku: consoleSku
  }
}

module signalR 'modules/signalr.bicep' = {
  name: 'signalR'
  params: {
    name: '${environmentName}-signalr-${suffix}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    allowedOrigins: browserOrigins
    functionAppHostName: '${functionAppName}.azurewebsites.net'
    signalrExtensionKey: signalrExtensionKey
  }
}

module keyVault 'modules/keyvault.bicep' = if (useKeyVault) {
  name: 'keyVault'
  params: {
    name: take('${environmentName}-kv-${suffix}', 24)
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    graphClientSecret: graphClientSecret
  }
}

// Identity-based connections: <prefix>__fullyQualifiedNamespace / __accountEndpoint /
// __accountName, __credential = managedidentity, __clientId = the user-assigned identity.
var hostSettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  ServiceBus__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBus__credential: 'managedidentity'
  ServiceBus__clientId: identity.outputs.clientId
  Cosmos__accountEndpoint: cosmos.outputs.endpoint
  Cosmos__credential: 'managedidentity'
  Cosmos__clientId: identity.outputs.clientId
  AzureSignalRConnectionString__serviceUri: signalR.outputs.serviceUri
  AzureSignalRConnectionString__credential: 'managedidentity'
  AzureSignalRConnectionString__clientId: identity.outputs.clientId
}

var appSettings = {
  AZURE_CLIENT_ID: identity.outputs.clientId
  Storage__Provider: 'cosmos'
  Storage__Cosmos__Endpoint: cosmos.outputs.endpoint
  Storage__Cosmos__Database: cosmos.outputs.databaseName
  Storage__Cosmos__CreateIfMissing: 'false'
  Storage__DataFolder: '/tmp/helpdesk'
  Jobs__RunInProcess: 'false'
  Auth__Authority: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
  Auth__Audience: apiAudience
  Mail__Mailboxes__0__Id: supportMailboxId
  Mail__Mailboxes__0__Address: supportMailboxAddress
  Mail__NotificationUrl: 'https://${functionAppName}.azurewebsites.net/api/graph/notifications'
  Mail__Graph__Authentication: graphAuthentication
  Mail__Graph__TenantId: tenantId
  Mail__Graph__ClientId: useKeyVault ? graphClientId : identity.outputs.clientId
  Approvals__SigningKey: approvalSigningKey
  Approvals__LinkBaseUrl: 'https://${functionAppName}.azurewebsites.net'
  Http__AllowedOrigins: join(browserOrigins, ',')
  Realtime__Service: 'AzureSignalR'
}

var graphSecretSetting = useKeyVault ? {
  Mail__Graph__ClientSecret: '@Microsoft.KeyVault(SecretUri=${keyVault!.outputs.graphClientSecretUri})'
} : {}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  params: {
    name: functionAppName
    location: location
    tags: tags
    identityId: identity.outputs.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: union(hostSettings, appSettings, graphSecretSetting)
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

output functionAppName string = functionApp.outputs.name
output apiBaseUrl string = 'https://${functionApp.outputs.defaultHostName}/api'
output consoleUrl string = deployConsole ? console!.outputs.origin : ''
output consoleName string = deployConsole ? console!.outputs.name : ''
output identityClientId string = identity.outputs.clientId
output identityPrincipalId string = identity.outputs.principalId
