// Azure SignalR Service for the chat's pushes (docs/adr/0011-chat-push.md), in Serverless mode:
// clients connect to the service, and the Function App talks to it only through its bindings
// (signalRConnectionInfo makes a client's connection info in RealtimeConnect, signalR sends in
// PushChat and adds staff to their group). Access keys are off: the bindings sign in with the
// app's identity (AzureSignalRConnectionString__serviceUri, __credential, __clientId).
// The upstream sends the clients' hub method invocations (hub chat, category messages, any event)
// to the Function App's SignalR webhook, which dispatches them by event to the signalRTrigger
// functions (RealtimeTyping for typing);
// the webhook takes the host's signalr_extension system key, so the upstream's auth is none.
param name string
param location string
param tags object
param identityPrincipalId string

@description('Origins of the front ends that connect from a browser; empty = none.')
param allowedOrigins array

@description('The Function App\'s host name (the upstream\'s target).')
param functionAppHostName string

@description('The Function App\'s signalr_extension system key; empty = no upstream yet (the first deployment, before the host made the key).')
@secure()
param signalrExtensionKey string

var upstreamTemplates = empty(signalrExtensionKey) ? [] : [
  {
    hubPattern: 'chat'
    categoryPattern: 'messages'
    eventPattern: '*'
    urlTemplate: 'https://${functionAppHostName}/runtime/webhooks/signalr?code=${signalrExtensionKey}'
    auth: { type: 'None' }
  }
]

resource signalR 'Microsoft.SignalRService/signalR@2023-02-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SignalR'
  sku: { name: 'Standard_S1', tier: 'Standard', capacity: 1 }
  properties: {
    features: [
      { flag: 'ServiceMode', value: 'Serverless' }
      { flag: 'EnableConnectivityLogs', value: 'True' }
    ]
    cors: { allowedOrigins: allowedOrigins }
    upstream: { templates: upstreamTemplates }
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: { clientCertEnabled: false }
  }
}

// SignalR App Server (the connection info's client tokens) and SignalR REST API Owner (sends and
// group actions through the REST API, which serverless bindings use).
var roles = [
  '420fcaa2-552c-430f-98ca-3264be4806c7'
  'fd53cd77-2268-407a-8f46-7e7863d0f521'
]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in roles: {
  name: guid(signalR.id, identityPrincipalId, role)
  scope: signalR
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

output serviceUri string = 'https://${signalR.properties.hostName}'
output id string = signalR.id
