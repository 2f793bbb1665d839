; Inno Setup 6 script of the Windows installer: facenet-kiosk-<version>-setup.exe.
; Built by packaging\build_windows.ps1 (CI: .github/workflows/windows-installer.yml) from the
; PyInstaller one-folder bundle dist\kiosk\:
;     ISCC.exe /DAppVersion=0.1.0 /DBundleDir=..\..\dist\kiosk /DIconFile=..\..\build\kiosk.ico kiosk.iss
;
; What it installs (per machine, needs admin):
;   {autopf}\FaceNet Kiosk\        the bundle: kiosk.exe (console: every CLI command and
;                                   `kiosk self-test`), kiosk-gui.exe (the front-desk screen)
;   %ProgramData%\facenet-kiosk\    the data directory (store, settings.toml), writable by every
;                                   user: a frozen Windows build uses it by default (paths.py)
;   Start menu: "Front desk", "Front desk self-test", "Uninstall Front desk"; a desktop shortcut.
; The uninstaller removes the program and the shortcuts; it asks before deleting the data.
; NOT BUILT OR RUN ON LINUX: the project is developed on Linux; this script is compiled only
; on the Windows CI runner.

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
; the per-machine data directory; Users may modify it so that any account can run the kiosk
Name: "{commonappdata}\{#DataDirName}"; Permissions: users-modify

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
// The data directory holds the enrolled people and the access log: keep it unless the
// administrator says otherwise (a silent uninstall keeps it).
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{commonappdata}\{#DataDirName}');
    if DirExists(DataDir) and not UninstallSilent() then
      if MsgBox('Also delete the kiosk data (enrolled people, access log) in ' + DataDir + '?',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
