# Pester 5: what Get-Help and Tab show under the pinned pwsh. The provider's own help
# (Get-Help XenStore -Category Provider) and its cmdlet help (Get-Help Get-ChildItem -Path xs:),
# complete cmdlet help (syntax, a description for every parameter, examples, approved verbs),
# and completion: item property names, file-system paths from an xs: location, node names.
BeforeDiscovery {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force -WarningAction Ignore
    $Cmdlets = (Get-Module XenStore).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } }
    $Embedded = $null -ne (Get-PSDrive xs -ErrorAction Ignore).EmbeddedDaemon
}

BeforeAll {
    $ProjectRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    Import-Module (Join-Path $ProjectRoot 'XenStore.psd1') -Force -WarningAction Ignore
    function Get-Completion([string] $InputScript) {
        (TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length).CompletionMatches | ForEach-Object CompletionText
    }
}

Describe 'Provider help' -Tags 'CI' {
    It 'the provider names the module''s help file' {
        (Get-PSProvider XenStore).HelpFile | Should -Be 'XenStore.PowerShell.dll-Help.xml'
    }

    It 'Get-Help XenStore -Category Provider shows the provider' {
        $help = Get-Help XenStore -Category Provider -ErrorAction Stop
        $help.Name | Should -Be 'XenStore'
        $help.Synopsis | Should -Match 'XenStore nodes'
        $help.Drives | Out-String | Should -Match 'xs:'
        $help.Capabilities | Out-String | Should -Match 'ShouldProcess'
        @($help.Tasks.Task).Count | Should -BeGreaterThan 3
        @($help.Tasks.Task.Examples.Example.Code) | Should -Not -BeNullOrEmpty
        $dynamic = @($help.DynamicParameters.DynamicParameter)
        $dynamic.Name | Should -Be @('AsByteStream', 'SocketPath', 'Xenbus', 'DevicePath', 'Embedded')
        ($dynamic | Where-Object Name -EQ AsByteStream).CmdletSupported | Should -Match 'Get-Content.*Set-Content'
        ($dynamic | Where-Object Name -EQ SocketPath).CmdletSupported | Should -Be 'New-PSDrive'
        $text = $help | Out-String -Width 200
        $text | Should -Match 'PROVIDER NAME'
        $text | Should -Match 'DYNAMIC PARAMETERS'
        $text | Should -Match '-AsByteStream'
    }

    It 'Get-Help Get-ChildItem -Path xs: shows what Get-ChildItem does on XenStore' {
        $help = Get-Help Get-ChildItem -Path xs: -ErrorAction Stop
        $help.Synopsis | Should -Be 'Gets the nodes below XenStore nodes.'
        $help.description.Text -join ' ' | Should -Match 'case-sensitive wildcards'
        @($help.examples.example.code) -join "`n" | Should -Match 'Get-ChildItem xs:/local/domain'
        Get-Help Get-ChildItem -Path xs: | Out-String -Width 200 | Should -Match 'XenStore.PowerShell.XenStoreItem'
    }

    It 'Get-Help <Cmdlet> -Path xs: describes the provider''s -<Parameter>' -TestCases @(
        @{ Cmdlet = 'Get-Content'; Parameter = 'AsByteStream' }
        @{ Cmdlet = 'Set-Content'; Parameter = 'AsByteStream' }
        @{ Cmdlet = 'New-PSDrive'; Parameter = 'SocketPath' }
        @{ Cmdlet = 'New-PSDrive'; Parameter = 'Embedded' }
    ) {
        $help = Get-Help $Cmdlet -Path xs:/
        ($help.parameters.parameter | Where-Object name -EQ $Parameter).description.Text | Should -Not -BeNullOrEmpty
    }

    It 'Get-Help from an xs: location is the provider''s, and from the file system it is not' {
        Push-Location xs:/
        try { (Get-Help Get-Content).Synopsis | Should -Be 'Gets the value of a XenStore node.' }
        finally { Pop-Location }
        Push-Location $TestDrive
        try { (Get-Help Get-Content).Synopsis | Should -Not -Match 'XenStore' }
        finally { Pop-Location }
    }
}

Describe 'Cmdlet help' -Tags 'CI' {
    It '<Name> shows its syntax' -TestCases $Cmdlets {
        $help = Get-Help $Name
        @($help.syntax.syntaxItem) | Should -Not -BeNullOrEmpty
        $text = Get-Help $Name -Full | Out-String -Width 200
        $text | Should -Match "SYNTAX\s+$Name "
    }

    It '<Name> describes every parameter' -TestCases $Cmdlets {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $described = @{}
        foreach ($parameter in (Get-Help $Name).parameters.parameter) { $described[$parameter.name] = ($parameter.description | ForEach-Object Text) -join ' ' }
        $command = Get-Command $Name
        $undescribed = $command.Parameters.Values | Where-Object { $_.Name -notin $common -and -not ($_.Attributes | Where-Object { $_ -is [Parameter] -and $_.DontShow }) } |
            Where-Object { -not $described[$_.Name] } | ForEach-Object Name
        $undescribed | Should -BeNullOrEmpty
    }

    It '<Name> has an example and an approved verb' -TestCases $Cmdlets {
        @((Get-Help $Name).examples.example) | Should -Not -BeNullOrEmpty
        (Get-Command $Name).Verb | Should -BeIn (Get-Verb).Verb
    }
}

Describe 'Completion' -Tags 'CI' {
    It 'Get-ItemProperty xs:... -Name offers Value, Permissions and Owner' {
        Get-Completion 'Get-ItemProperty xs:/local/domain/0/name -Name ' | Should -Be @('Value', 'Permissions', 'Owner')
        Get-Completion 'Set-ItemProperty -Path xs:/local/domain/0/name -Name P' | Should -Be @('Permissions')
        Get-Completion 'Get-ItemPropertyValue xs:/local/domain/0/name -Name o' | Should -Be @('Owner')
    }

    It 'file parameters complete file-system paths from an xs: location: <Command>' -TestCases @(
        @{ Command = 'Start-XenStoreDaemon -RunDirectory ' }
        @{ Command = 'Start-XenStoreDaemon -RunDirectory d -PersistPath ' }
        @{ Command = 'Stop-XenStoreDaemon -RunDirectory ' }
        @{ Command = 'Connect-XenStore -Name a -SocketPath ' }
        @{ Command = 'Connect-XenStore -Name a -Ring -DomainId 1 -SimXen ' }
        @{ Command = 'Export-XenStore xs:/ -OutFile ' }
        @{ Command = 'Import-XenStore -InputFile ' }
    ) {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive "fs$(Get-Random)")
        New-Item -ItemType Directory (Join-Path $dir 'run dir') | Out-Null
        New-Item -ItemType File (Join-Path $dir 'export.json') | Out-Null
        Push-Location $dir
        Push-Location xs:/local
        try {
            Get-Completion "${Command}ex" | Should -Be @('export.json')
            Get-Completion "${Command}r" | Should -Be @("'run dir'")
            Get-Completion "$Command$dir/ex" | Should -Be @("$dir/export.json")
        }
        finally { Pop-Location; Pop-Location }
    }

    It 'node names complete, and what a completion leads to is matched with its case' -Skip:(-not $Embedded) {
        New-Item xs:/local/domain/0/NAME-UPPER -Value 1 -Force | Out-Null
        try {
            # PowerShell's completer for providers other than the file system lists the parent's
            # children and matches the typed prefix itself, ignoring case, so it may offer
            # NAME-UPPER too; the wildcard the user then runs is the provider's, with case.
            Get-Completion 'Get-Item xs:/local/domain/0/na' | Should -Contain 'xs:/local/domain/0/name'
            (Get-Item xs:/local/domain/0/na*).Name | Should -Be 'name'
        }
        finally { Remove-Item xs:/local/domain/0/NAME-UPPER }
    }
}
