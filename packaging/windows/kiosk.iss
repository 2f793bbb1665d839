; Inno Setup 6 script of the Windows installer: facenet-kiosk-<version>-setup.exe.
; Built from the PyInstaller one-folder bundle by packaging\build_windows.ps1 on Windows (CI:
; .github/workflows/windows-installer.yml) and by packaging/build_windows_wine.sh on Linux,
; where ISCC.exe runs under Wine (make package-windows):
;     ISCC.exe /DAppVersion=0.1.0 /DBundleDir=..\..\dist\kiosk /DIconFile=..\..\build\kiosk.ico kiosk.iss
;
; What it installs (per machine, needs admin):
;   {autopf}\FaceNet Kiosk\        the bundle: kiosk.exe (console: every CLI command and
;                                   `kiosk self-test`), kiosk-gui.exe (the front-desk screen)
;   %ProgramData%\facenet-kiosk\    the data directory (store, settings.toml) that a frozen
;                                   Windows build uses by default (kiosk/core/base/paths.py).
;                                   It holds biometric templates, so it is NOT writable (nor
;                                   readable) by every user: Administrators and SYSTEM have full
;                                   control, members of the local group "FaceNet Kiosk" (created
;                                   here) may modify; inheritance from %ProgramData% (where any
;                                   user may create files) is cut. The kiosk's own Windows account
;                                   must be a member:  setup.exe /KIOSKUSER=<account>  adds it, or
;                                   later:  net localgroup "FaceNet Kiosk" <account> /add
;   Start menu: "Front desk", "Front desk self-test", "Uninstall Front desk"; a desktop shortcut.
; The uninstaller removes the program and the shortcuts; it asks before deleting the data (and
; the group); a silent uninstall keeps both.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\kiosk"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\kiosk.ico"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "Front desk"
#define DataDirName "facenet-kiosk"
#define KioskGroup "FaceNet Kiosk"

[Setup]
AppId={{6F1C2B0E-5A7D-4C49-9E0B-3D2F8A41C7B5}
AppName={#AppName}
AppVerName={#AppName} {#AppVersion}
AppVersion={#AppVersion}
AppPublisher=FaceNet kiosk maintainers
DefaultDirName={autopf}\FaceNet Kiosk
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64
ArchitecturesInstallIn64BitMode=x64
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=facenet-kiosk-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\kiosk-gui.exe
UninstallDisplayName={#AppName} (FaceNet kiosk)
; ~1 GB of libraries: lzma2 "normal" packs nearly as well as "max" in a fraction of the time
Compression=lzma2/normal
SolidCompression=yes
LZMANumBlockThreads=4
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Dirs]
; the per-machine data directory: its permissions are set in PrepareToInstall below; never
; removed by the uninstaller (the enrolled people and the access log outlive the program)
Name: "{commonappdata}\{#DataDirName}"; Flags: uninsneveruninstall

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\kiosk-gui.exe"; WorkingDir: "{app}"
Name: "{group}\{#AppName} self-test"; Filename: "{cmd}"; \
    Parameters: "/k ""{app}\kiosk.exe"" self-test"; WorkingDir: "{app}"; IconFilename: "{app}\kiosk.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\kiosk-gui.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\kiosk-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; \
    Flags: nowait postinstall skipifsilent

[UninstallDelete]
; files the program may write inside its own folder (a LiteRT export made for another runtime)
Type: filesandordirs; Name: "{app}\_internal\weights\.export-*"
Type: files; Name: "{app}\_internal\weights\*.partial"
Type: dirifempty; Name: "{app}"

[Code]
// Runs a program from System32 hidden, logs the command and its exit code (setup.exe /LOG=F).
function RunLogged(const Exe, Params: String): Integer;
begin
  if not Exec(ExpandConstant('{sys}\') + Exe, Params, '', SW_HIDE, ewWaitUntilTerminated, Result) then
    Result := -1;
  Log(Format('kiosk: %s %s -> exit code %d', [Exe, Params, Result]));
end;

// The data directory's permissions, before any file is installed (an error here stops setup
// with nothing installed): the "FaceNet Kiosk" group, the kiosk account in it if
// /KIOSKUSER=<account> was given, then an ACL that does not inherit from %ProgramData%:
// SYSTEM and Administrators full control, the group modify (read, write, create, delete).
// Well-known SIDs, not names, so that it works in every Windows language.
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  DataDir, Account: String;
begin
  Result := '';
  DataDir := ExpandConstant('{commonappdata}\{#DataDirName}');
  if not ForceDirectories(DataDir) then
  begin
    Result := 'Cannot create ' + DataDir;
    exit;
  end;
  // `net localgroup NAME` exits 0 when the group exists (a re-install or an upgrade)
  if RunLogged('net.exe', 'localgroup "{#KioskGroup}"') <> 0 then
    if RunLogged('net.exe', 'localgroup "{#KioskGroup}" /add /comment:"May use the FaceNet kiosk data: enrolled people, access log"') <> 0 then
    begin
      Result := 'Could not create the local group "{#KioskGroup}" (see the setup log).';
      exit;
    end;
  Account := ExpandConstant('{param:KIOSKUSER|}');
  if Account <> '' then
    if RunLogged('net.exe', 'localgroup "{#KioskGroup}" "' + Account + '" /add') <> 0 then
      // also the exit code of "already a member": a warning, not a reason to stop
      SuppressibleMsgBox('Could not add "' + Account + '" to the group "{#KioskGroup}" (it may already be a member). ' +
        'Add the kiosk''s account later with:  net localgroup "{#KioskGroup}" ACCOUNT /add', mbInformation, MB_OK, IDOK);
  if RunLogged('icacls.exe', '"' + DataDir + '" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F "{#KioskGroup}:(OI)(CI)M"') <> 0 then
  begin
    Result := 'Could not set the permissions of ' + DataDir + ' (see the setup log).';
    exit;
  end;
  // files left by an earlier version (whose folder let every user write): inherit the new ACL only
  RunLogged('icacls.exe', '"' + DataDir + '\*" /reset /T /C /Q');
end;

// The data directory holds the enrolled people and the access log: keep it (and the group)
// unless the administrator says otherwise; a silent uninstall keeps both.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{commonappdata}\{#DataDirName}');
    if DirExists(DataDir) and not UninstallSilent() then
      if MsgBox('Also delete the kiosk data (enrolled people, access log) in ' + DataDir +
                ' and the group "{#KioskGroup}"?', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      begin
        DelTree(DataDir, True, True, True);
        RunLogged('net.exe', 'localgroup "{#KioskGroup}" /delete');
      end;
  end;
end;
